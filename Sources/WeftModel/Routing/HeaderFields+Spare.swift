/// A head's storage its last holder let go, kept by the connection for the next head it reads: a
/// head read into it costs no allocation and no freeing (two a proxied request, ~200 instructions
/// each, issue 19 item 4).
public struct SpareHeaderStorage {
    let storage: HeaderFields.Storage
}

extension HeaderFields {
    /// Takes the storage out (leaving no fields) when this value is its only holder, to read the
    /// connection's next head into; nil, and the fields left as they are, when shared or never made.
    public mutating func takeSpareStorage() -> SpareHeaderStorage? {
        guard isKnownUniquelyReferenced(&storage), let taken = storage.take() else { return nil }
        nameBits = 0
        return SpareHeaderStorage(storage: taken)
    }
}
