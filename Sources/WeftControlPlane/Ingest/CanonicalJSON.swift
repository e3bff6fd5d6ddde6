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
    public static func decode(_ json: String, source: String) -> (any APIResource)? {
        ConfigLoader.load(text: json, file: source).first?.resource
    }
}
