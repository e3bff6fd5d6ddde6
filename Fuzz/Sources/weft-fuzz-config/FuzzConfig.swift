/// libFuzzer target over WeftAPI's decode + validate. The same binary replays crash files given
/// on its command line (`weft-fuzz-config crash-…`), as every libFuzzer binary does.
import FuzzerDriver
import WeftAPI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for report in ConfigLoader.load(text: text, file: "fuzz.yaml") {
        // Touch everything a caller would: messages, paths, lines.
        for issue in report.issues { _ = report.describe(issue) }
        _ = report.isValid
    }
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; this one runs libFuzzer's driver.
@_cdecl("weft_fuzz_config_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzConfig)
}
