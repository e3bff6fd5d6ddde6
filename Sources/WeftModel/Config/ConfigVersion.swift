/// A configuration version as the control plane writes it, `REVISION.PUSH` (the store's revision,
/// then the push generation), ordered numerically: "10.1" is newer than "9.3". A version that is
/// not in that form (from another control plane) orders before every numeric one, by its text.
public struct ConfigVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String
    /// The numeric components, or nil when any component is not a number.
    private let components: [UInt64]?

    public init(_ text: String) {
        self.text = text
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt64($0) }
        components = text.isEmpty || parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    public init(revision: Int64, push: Int) {
        self.init("\(revision).\(push)")
    }

    public var description: String { text }

    public static func < (lhs: ConfigVersion, rhs: ConfigVersion) -> Bool {
        switch (lhs.components, rhs.components) {
        case (let left?, let right?): return left.lexicographicallyPrecedes(right)
        case (nil, .some): return true
        case (.some, nil): return false
        case (nil, nil): return lhs.text < rhs.text
        }
    }
}
