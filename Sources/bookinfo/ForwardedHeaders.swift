import NIOHTTP1
import WeftHTTPServer

/// The incoming headers Bookinfo's services copy onto their own calls, so tracing and the
/// `end-user` routing rules see them downstream.
enum ForwardedHeaders {
    static let names: Set<String> = [
        "x-request-id", "x-ot-span-context", "x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority",
        "traceparent", "tracestate", "x-cloud-trace-context", "grpc-trace-bin", "sw8", "user-agent", "cookie", "authorization", "jwt",
        "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3",
    ]

    /// The headers of `request` to pass on; `end-user` is added by the caller where it applies.
    static func from(_ request: APIRequest) -> [(String, String)] {
        request.headers.compactMap { header in names.contains(header.name.lowercased()) ? (header.name.lowercased(), header.value) : nil }
    }
}
