import Foundation

/// What the JWT tasks need beside the mTLS mesh: a JWKS server on loopback (the corpus's own
/// `jwks.json`, served by Python's http.server from a folder the test controls), the task YAML with
/// its `jwksUri` pointed at it (the corpus README's offline instruction), an ingress router, and
/// tokens minted with the corpus key by openssl.
final class EndUserAuthentication {
    let mesh: MutualTLSMesh
    let keys: URL
    let jwksPort: Int
    private var server: Process?
    /// The router's loopback address, once started (Gateway port 80 listens there).
    private(set) var ingress: String?

    static let corpus = BookinfoDemo.corpus
    static let samples = corpus.appendingPathComponent("security/tools/jwt/samples")
    static let upstreamPrefix = "https://raw.githubusercontent.com/istio/istio/master"

    init(controlPlaneEnvironment: [String: String] = [:]) throws {
        mesh = try MutualTLSMesh(namespaces: ["foo"], controlPlaneEnvironment: controlPlaneEnvironment)
        keys = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("weft-jwks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keys.appendingPathComponent("security/tools/jwt/samples"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("jwks.json"), to: keys.appendingPathComponent("security/tools/jwt/samples/jwks.json"))
        jwksPort = Int.random(in: 20_000...30_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["--default-signal=TERM", "python3", "-m", "http.server", String(jwksPort), "--bind", "127.0.0.1", "--directory", keys.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        self.server = server
        try mesh.waitUntil("the JWKS server answers") { (try? Curl.get(jwksURL).0) == 200 }
    }

    var jwksURL: String { "http://127.0.0.1:\(jwksPort)/security/tools/jwt/samples/jwks.json" }

    /// A corpus task file as applied offline: its raw.githubusercontent.com jwksUri served here.
    func taskYAML(_ file: String) throws -> String {
        try String(contentsOf: Self.corpus.appendingPathComponent(file), encoding: .utf8)
            .replacingOccurrences(of: Self.upstreamPrefix, with: "http://127.0.0.1:\(jwksPort)")
    }

    func apply(task file: String) throws { try mesh.apply(try taskYAML(file)) }

    /// Replaces what the JWKS server answers.
    func serve(jwks text: String) throws {
        try Data(text.utf8).write(to: keys.appendingPathComponent("security/tools/jwt/samples/jwks.json"))
    }

    /// Starts the ingress router (istio-system, `istio: ingressgateway`).
    func startIngress() throws {
        ingress = try mesh.mesh.startIngressRouter()
    }

    /// `curl http://INGRESS/PATH` with an optional bearer token.
    func atIngress(_ path: String, token: String? = nil) throws -> (status: Int, body: String) {
        let (status, body) = try Curl.get("http://\(ingress ?? "127.0.0.1")\(path)", headers: token.map { ["Authorization: Bearer \($0)"] } ?? [])
        return (status, body)
    }

    /// From sleep.foo through its sidecar to httpbin.foo.
    func fromSleep(_ path: String, token: String? = nil) throws -> (status: Int, body: String) {
        try mesh.fromSidecar("foo", to: "foo", path: path, headers: token.map { ["Authorization: Bearer \($0)"] } ?? [])
    }

    static func token(_ name: String) throws -> String {
        try String(contentsOf: samples.appendingPathComponent(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An RS256 token signed by openssl with the corpus key (`key.pem`, the sample JWKS's key).
    static func mint(_ payload: String) throws -> String {
        func b64(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let header = #"{"alg":"RS256","kid":"DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ","typ":"JWT"}"#
        let input = b64(Data(header.utf8)) + "." + b64(Data(payload.utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha256", "-sign", samples.appendingPathComponent("key.pem").path]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let signature = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return input + "." + b64(signature)
    }

    func stop() {
        server?.terminate()
        server?.waitUntilExit()
        mesh.stop()
        try? FileManager.default.removeItem(at: keys)
    }
}

/// A loopback listener that accepts connections (the kernel's backlog does) and never answers:
/// the slow endpoint a fetch must give up on.
final class SilentListener {
    let port: Int
    private let socket: Int32

    init() throws {
        (socket, port) = LoopbackSocket.bind()
        guard port != 0, listen(socket, 64) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func close() { _ = Foundation.close(socket) }
}
