import Foundation
import WeftAPI

/// One JSON form for a resource (sorted keys), so equal resources have equal text.
public enum CanonicalJSON {
    public static func encode(_ resource: any APIResource) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(resource), as: UTF8.self)
    }

    /// Decodes a stored JSON text back into a resource, without failing on validation rules that
    /// changed since it was stored (the value decoded is kept; its problems are reported elsewhere).
    /// It fails when the text does not decode, or decodes to a value whose canonical text differs
    /// (a field this build does not know would be dropped): the reason is the loader's errors.
    public static func decode(_ json: String, source: String) -> Result<any APIResource, DecodeFailure> {
        guard let report = ConfigLoader.load(text: json, file: source).first else {
            return .failure(DecodeFailure(reason: "empty entry"))
        }
        let reasons = report.errors.prefix(3).map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        guard let resource = report.resource else {
            return .failure(DecodeFailure(reason: reasons.isEmpty ? "cannot decode" : reasons))
        }
        guard let again = try? encode(resource), again == json else {
            return .failure(DecodeFailure(reason: reasons.isEmpty ? "this build would not store it as it was stored" : reasons))
        }
        return .success(resource)
    }

    /// Why a stored text does not decode.
    public struct DecodeFailure: Error, Sendable {
        public var reason: String
    }
}
