/// A resource the proxy cannot use as it arrived: named in the NACK the proxy sends back.
public struct WireError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Proto integers to the model's and back: values past Int32 are clamped, never trapped on.
extension Int {
    init(wire value: Int32) { self = Int(value) }
    init(wire value: Int64) { self = Int(clamping: value) }
}

extension Int32 {
    init(model value: Int) { self = Int32(clamping: value) }
}

extension Int64 {
    init(model value: Int) { self = Int64(value) }
}
