/// libFuzzer entry point over WeftAPI's decode + validate. Built with
/// `scripts/fuzz-config.sh` (-sanitize=fuzzer,address) it is a fuzzer; built normally it replays
/// the files named on its command line through the same function, so a crash can be reproduced.
import Foundation
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

#if !WEFT_LIBFUZZER
var failures = 0
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        print("cannot read \(path)")
        failures += 1
        continue
    }
    _ = data.withUnsafeBytes { buffer in
        fuzzConfig(buffer.bindMemory(to: UInt8.self).baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
    }
}
print("replayed \(CommandLine.arguments.count - 1 - failures) inputs")
exit(failures == 0 ? 0 : 1)
#endif
