/// A header name the proxy knows in advance (`x-request-id`, `content-length`), lower-case, with its
/// bit in `HeaderFields`' name mask worked out once: looking one up reads no String (a String name
/// is retained, read through `withUTF8` and lower-cased byte by byte on every lookup).
public struct HeaderName: Sendable {
    /// The name's bytes, all lower-case.
    @usableFromInline let bytes: StaticString
    /// Its bit in `HeaderFields.nameBits`.
    @usableFromInline let bit: UInt64

    /// `name` is a token, lower-case by convention (it is compared in any case, and written as given).
    // Inlinable: a name written at a call site is then worked out there, without a call.
    @inlinable @inline(__always)
    public init(_ name: StaticString) {
        bytes = name
        bit = HeaderFields.nameBit(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    var utf8: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes.utf8Start, count: bytes.utf8CodeUnitCount) }
}

/// Several `HeaderName`s looked up together: one check of the mask says that none is here, as for
/// most requests none of the hop-by-hop or trace-context names is.
public struct HeaderNameSet: Sendable {
    let names: [HeaderName]
    let bits: UInt64

    public init(_ names: [HeaderName]) {
        self.names = names
        bits = names.reduce(0) { $0 | $1.bit }
    }
}

extension HeaderName: ExpressibleByStringLiteral {
    @inlinable @inline(__always)
    public init(stringLiteral name: StaticString) { self.init(name) }
}

extension HeaderNameSet: ExpressibleByArrayLiteral {
    public init(arrayLiteral names: HeaderName...) { self.init(names) }
}
