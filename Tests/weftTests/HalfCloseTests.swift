import Foundation
import Testing

/// A TCP service that answers once its client has finished sending (as whois, or `nc -N` users,
/// expect): it reads to EOF, then writes how many bytes it got and closes.
private let countingServer = """
import os, socket, threading
listener = socket.create_server((os.environ["WEFT_APP_ADDRESS"], 2700), reuse_port=True)
def serve(sock):
    total = 0
    while chunk := sock.recv(65536):
        total += len(chunk)
    sock.sendall(f"got {total}\\n".encode())
    sock.close()
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""

/// Sends COUNT bytes to HOST:PORT, shuts its side down (FIN), prints what comes back.
private let halfClosingClient = """
import socket, sys
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
sock.sendall(b"x" * int(sys.argv[3]))
sock.shutdown(socket.SHUT_WR)
answer = b""
try:
    while chunk := sock.recv(4096):
        answer += chunk
except OSError as error:
    answer += f" ({error})".encode()
print(answer.decode().strip())
"""

private let countingMesh = """
apiVersion: v1
kind: Service
metadata: {name: counter}
spec:
  selector: {app: counter}
  ports: [{name: tcp-count, port: 2700}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 2700, protocol: TCP, name: tcp-count}
    captureMode: NONE
    hosts: ["./counter.default.svc.cluster.local"]
"""

/// A TCP client's half-close (FIN after its last byte) crosses both sidecars and the mutual TLS
/// between them (TLS close_notify, then the server sidecar's FIN to the app), and the answer the
/// server sends after it comes back: Envoy's tcp_proxy carries half-close the same way.
@Suite("TCP half-close through sidecars", .serialized)
struct HalfCloseTests {
    @Test("a client sends 100 000 bytes and closes its side; the server, which answers only at EOF, gets all of them and its answer comes back through both sidecars over STRICT mTLS")
    func halfCloseCrossesMutualTLS() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: countingMesh).status == 0)
        try mesh.startApp(name: "counter", labels: "app=counter", port: 2700, command: ["python3", "-c", countingServer])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2700||counter.default.svc.cluster.local", count: 1)
        var answer = ""
        try mesh.waitUntil("the counter answers") {
            answer = (try? WeftProcess.runTool("python3", ["-c", halfClosingClient, client, "2700", "100000"])) ?? ""
            return answer.hasPrefix("got ")
        }
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "got 100000", "\(answer)")
    }
}
