import NIOHTTP1
import WeftModel

/// A gRPC "trailers-only" answer (one HEADERS frame with END_STREAM carrying `grpc-status`) comes
/// through NIO's HTTP/2 → HTTP/1 codec as a head holding the status and an empty end; written back
/// that way to an HTTP/2 client it would become HEADERS then an empty DATA with END_STREAM, which
/// gRPC clients refuse ("Data frame with END_STREAM"). The status moves to the trailers instead:
/// HEADERS, then trailers with `grpc-status` — an answer every gRPC client reads the same.
enum GRPCTrailersOnly {
    static let names = ["grpc-status", "grpc-message", "grpc-status-details-bin"]

    /// Removes the gRPC status fields from a response head; nil when it has none.
    static func take(from headers: inout HeaderFields) -> HTTPHeaders? {
        guard headers.contains("grpc-status") else { return nil }
        var trailers = HTTPHeaders()
        for name in names {
            for value in headers.values(name: name) { trailers.add(name: name, value: value) }
            headers.remove(name: name)
        }
        return trailers
    }
}
