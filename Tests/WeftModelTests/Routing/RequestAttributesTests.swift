import Testing
@testable import WeftModel

/// What routing reads of a request's target: the authority's host and port, the path and query.
@Suite("Request attributes")
struct RequestAttributesTests {
    @Test("the authority splits into a lower-cased host and a port (the default when none, or when it is not a number); IPv6 in brackets", arguments: [
        ("reviews:9080", "reviews", 9080), ("Reviews.Default.SVC", "reviews.default.svc", 80), ("[::1]:8443", "::1", 8443),
        ("[FE80::1]", "fe80::1", 80), ("host:", "host:", 80), ("host:http", "host:http", 80), ("", "", 80),
        ("a:b:7", "a:b", 7), ("host:1234567890", "host:1234567890", 80), ("ÄÖ.example:81", "äö.example", 81),
    ])
    func authority(authority: String, host: String, port: Int) {
        let attributes = RequestAttributes(authority: authority, path: "/")
        #expect(attributes.host == host && attributes.port == port)
    }

    @Test("the path and the query split at the first ?", arguments: [
        ("/a/b?x=1&y=2", "/a/b", "x=1&y=2"), ("/", "/", ""), ("/p?", "/p", ""), ("/p?a?b", "/p", "a?b"), ("", "", ""),
    ])
    func pathAndQuery(target: String, path: String, query: String) {
        let attributes = RequestAttributes(authority: "h", path: target)
        #expect(attributes.path == path && attributes.query == query)
    }
}
