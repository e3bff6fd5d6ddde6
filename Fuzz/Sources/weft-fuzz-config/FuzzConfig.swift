/// libFuzzer entry point over WeftAPI's decode + validate. libFuzzer supplies `main`; the same
/// binary replays crash files given on its command line (`weft-fuzz-config crash-…`).
import WeftAPI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for report in ConfigLoader.load(text: text, file: "fuzz.yaml") {
        // Touch everything a caller would: messages, paths, lines.
        for issue in report.issues { _ = report.describe(issue) }
        _ = report.isValid
    }
    return 0
}
