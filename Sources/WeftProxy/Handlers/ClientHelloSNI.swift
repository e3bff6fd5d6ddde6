import NIOCore

/// What the first bytes of a connection say, read the way Envoy's `tls_inspector` reads them:
/// a TLS ClientHello (and the server name it asks for, if any) or something else. Nothing is
/// consumed; a hello split over many reads (or records) waits for the rest, up to `limit` bytes.
enum ClientHelloSNI: Equatable {
    /// More bytes are needed to decide.
    case incomplete
    case notTLS
    /// A ClientHello; its `server_name`, nil when it sends none.
    case clientHello(serverName: String?)

    /// The most a hello may take before the connection is called not TLS (Envoy's inspector reads 64 KiB).
    static let limit = 65_536

    /// `inspect`, counted as Envoy's `tls_inspector` counts what it decided (nothing while incomplete).
    static func inspect(_ bytes: ByteBuffer, counting stats: ProxyStats) -> ClientHelloSNI {
        let result = inspect(bytes)
        switch result {
        case .incomplete:
            break
        case .notTLS:
            stats.increment("tls_inspector.tls_not_found")
        case .clientHello(let name):
            stats.increment("tls_inspector.tls_found")
            stats.increment(name == nil ? "tls_inspector.sni_not_found" : "tls_inspector.sni_found")
        }
        return result
    }

    static func inspect(_ bytes: ByteBuffer) -> ClientHelloSNI {
        var records = bytes
        var handshake = ByteBuffer()
        // The handshake message may span several records: their payloads are joined.
        while true {
            guard let type = records.readInteger(as: UInt8.self) else { return incompleteOrTooLong(bytes) }
            guard type == 0x16 else { return .notTLS }
            guard let major = records.readInteger(as: UInt8.self) else { return incompleteOrTooLong(bytes) }
            guard major == 3 else { return .notTLS }
            guard records.readInteger(as: UInt8.self) != nil, let length = records.readInteger(as: UInt16.self) else { return incompleteOrTooLong(bytes) }
            guard var payload = records.readSlice(length: Int(length)) else { return incompleteOrTooLong(bytes) }
            handshake.writeBuffer(&payload)
            var peek = handshake
            guard let messageType = peek.readInteger(as: UInt8.self) else { continue }
            guard messageType == 0x01 else { return .notTLS }
            guard let high = peek.readInteger(as: UInt8.self), let low = peek.readInteger(as: UInt16.self) else { continue }
            let messageLength = Int(high) << 16 | Int(low)
            guard peek.readableBytes >= messageLength, let body = peek.readSlice(length: messageLength) else { continue }
            return serverName(inHelloBody: body).map { .clientHello(serverName: $0) } ?? .notTLS
        }
    }

    private static func incompleteOrTooLong(_ bytes: ByteBuffer) -> ClientHelloSNI {
        bytes.readableBytes >= limit ? .notTLS : .incomplete
    }

    /// The hello's body: version, random, session id, cipher suites, compression methods, then
    /// extensions. nil: malformed; `.some(nil)`: no server_name extension.
    static func serverName(inHelloBody body: ByteBuffer) -> String?? {
        var body = body
        guard body.readSlice(length: 2 + 32) != nil,
              let sessionLength = body.readInteger(as: UInt8.self), body.readSlice(length: Int(sessionLength)) != nil,
              let suitesLength = body.readInteger(as: UInt16.self), body.readSlice(length: Int(suitesLength)) != nil,
              let compressionLength = body.readInteger(as: UInt8.self), body.readSlice(length: Int(compressionLength)) != nil else { return nil }
        guard let extensionsLength = body.readInteger(as: UInt16.self) else { return .some(nil) }
        guard var extensions = body.readSlice(length: Int(extensionsLength)) else { return nil }
        while extensions.readableBytes > 0 {
            guard let type = extensions.readInteger(as: UInt16.self), let length = extensions.readInteger(as: UInt16.self),
                  var data = extensions.readSlice(length: Int(length)) else { return nil }
            guard type == 0 else { continue }
            // server_name: a list of (type, name); the first host_name (type 0) is the one.
            guard data.readInteger(as: UInt16.self) != nil else { return nil }
            while data.readableBytes > 0 {
                guard let nameType = data.readInteger(as: UInt8.self), let nameLength = data.readInteger(as: UInt16.self),
                      let name = data.readString(length: Int(nameLength)) else { return nil }
                if nameType == 0 { return .some(name.lowercased()) }
            }
            return .some(nil)
        }
        return .some(nil)
    }
}
