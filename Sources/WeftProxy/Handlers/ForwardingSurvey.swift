import WeftModel

/// What one pass over a request's fields finds of the names forwarding edits: each was looked up
/// by a walk of its own (seven a request, ~1.5k instructions at an inbound sidecar, whose requests
/// carry the client sidecar's fields).
struct ForwardingSurvey {
    static let names: HeaderNameSet = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate",
                                       "x-request-id", "x-forwarded-proto", "x-forwarded-for", "x-forwarded-client-cert"]
    /// A hop-by-hop field is there (`ForwardedHeaders.hopByHopNames`).
    private(set) var hopByHop = false
    /// `Connection` lists a name other than `keep-alive` and `close` (in any case: `close` and `CLOSE` list none).
    private(set) var connectionListsOthers = false
    /// `TE` lists `trailers`.
    private(set) var teTrailers = false
    private(set) var requestID = false
    private(set) var forwardedProto = false
    private(set) var forwardedFor = false
    private(set) var clientCert = false

    init(_ headers: HeaderFields) {
        headers.forEachValue(ofAny: Self.names) { index, value in
            switch index {
            case 0:
                hopByHop = true
                HeaderFields.forEachElement(of: value) { element in
                    if !HTTPToken.equalsIgnoringCase(element, "keep-alive") && !HTTPToken.equalsIgnoringCase(element, "close") { connectionListsOthers = true }
                }
            case 3:
                hopByHop = true
                HeaderFields.forEachElement(of: value) { element in
                    if HTTPToken.equalsIgnoringCase(element, "trailers") { teTrailers = true }
                }
            case 1...7: hopByHop = true
            case 8: requestID = true
            case 9: forwardedProto = true
            case 10: forwardedFor = true
            default: clientCert = true
            }
        }
    }
}
