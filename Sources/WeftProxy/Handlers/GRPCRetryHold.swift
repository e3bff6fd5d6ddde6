import NIOHTTP1
import WeftModel

/// A gRPC server's failure arrives as a 200 whose status is in the trailers (or in a trailers-only
/// head). Envoy retries on `retryOn` gRPC conditions when it sees the status before anything went
/// downstream; so does Weft: when the route retries on gRPC statuses, a 200 head without
/// `grpc-status` is held until the first body part (then it goes, and the call is not retried) or
/// the trailers of an answer with no body (whose status may retry it). Nothing else is held.
enum GRPCRetryHold {
    static func holds(_ head: ProxyResponseHead, retry: RoutePolicy.Retry?, grpcRequest: Bool) -> Bool {
        grpcRequest && head.status == .ok && retry?.retriesGRPC == true && !head.headers.contains("grpc-status")
    }

    /// The numeric `grpc-status` of a head or trailers.
    static func status(in headers: HeaderFields) -> Int? {
        headers.first("grpc-status").flatMap(Int.init)
    }

    /// The same in trailers.
    static func status(inTrailers headers: HTTPHeaders) -> Int? {
        headers.first(name: "grpc-status").flatMap(Int.init)
    }
}
