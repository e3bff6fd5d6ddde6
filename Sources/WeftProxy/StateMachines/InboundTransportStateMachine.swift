import WeftModel

/// The start of an inbound connection, before any HTTP: its first bytes say TLS or plaintext
/// (Envoy's TLS inspector), PeerAuthentication says which is let in, and a TLS connection is HTTP
/// only once its handshake has proved the peer. Every connection ends up serving or closed, and a
/// connection that stalls in either wait is closed by the timer.
struct InboundTransportStateMachine {
    private enum State {
        case awaitingFirstBytes
        case handshaking
        case serving
        case closed
    }

    /// What to do with the first bytes.
    enum FirstBytesAction: Equatable {
        /// Terminate TLS with the workload certificate, then serve HTTP.
        case startTLS
        /// Serve HTTP in plaintext.
        case servePlaintext
        /// Refuse: reset the connection, counted under `stat`.
        case refuse(stat: String)
        /// Already decided (a second read before the handler left).
        case none
    }

    /// What to do when the handshake ended or a timer fired.
    enum EndAction: Equatable {
        case serve
        case close(stat: String)
        case none
    }

    private var state = State.awaitingFirstBytes

    /// A TLS record starts with the handshake content type (22); nothing that speaks HTTP does.
    static func looksLikeTLS(firstByte: UInt8) -> Bool { firstByte == 0x16 }

    mutating func firstBytes(tls: Bool, mode: PeerAuthenticationMode, haveCertificate: Bool) -> FirstBytesAction {
        guard case .awaitingFirstBytes = state else { return .none }
        switch (tls, mode) {
        case (true, .strict), (true, .permissive):
            guard haveCertificate else {
                state = .closed
                return .refuse(stat: "ssl.no_certificate")
            }
            state = .handshaking
            return .startTLS
        case (false, .strict):
            // Istio's STRICT has no plaintext filter chain: Envoy closes what matches none.
            state = .closed
            return .refuse(stat: "no_filter_chain_match")
        case (false, _), (true, .disable):
            state = .serving
            return .servePlaintext
        }
    }

    mutating func handshakeCompleted(peerPresented: Bool) -> EndAction {
        guard case .handshaking = state else { return .none }
        guard peerPresented else {
            state = .closed
            return .close(stat: "ssl.fail_verify_no_cert")
        }
        state = .serving
        return .serve
    }

    /// The TLS layer failed; `reason` is its error, classified as Envoy counts it.
    mutating func handshakeFailed(reason: String) -> EndAction {
        guard case .handshaking = state else { return .none }
        state = .closed
        if reason.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || reason.contains("NO_CERTIFICATE") { return .close(stat: "ssl.fail_verify_no_cert") }
        if reason.contains("CERTIFICATE_VERIFY_FAILED") || reason.contains("CERTIFICATE_EXPIRED") || reason.contains("UNKNOWN_CA") { return .close(stat: "ssl.fail_verify_error") }
        return .close(stat: "ssl.connection_error")
    }

    /// The connection is up and nothing is read yet: a port whose PeerAuthentication is DISABLE
    /// has nothing to tell apart, so it is served at once (a server that speaks first is heard).
    mutating func connected(mode: PeerAuthenticationMode) -> EndAction {
        guard case .awaitingFirstBytes = state, mode == .disable else { return .none }
        state = .serving
        return .serve
    }

    /// The mesh's protocol detection time passed with no byte from the client: a port that lets
    /// plaintext in goes on as plaintext (the server speaks first), as Istio's inbound listener
    /// continues after its listener filters time out; STRICT waits on for the TLS handshake.
    mutating func detectionTimedOut(mode: PeerAuthenticationMode) -> EndAction {
        guard case .awaitingFirstBytes = state, mode != .strict else { return .none }
        state = .serving
        return .serve
    }

    mutating func timerFired() -> EndAction {
        switch state {
        case .awaitingFirstBytes:
            state = .closed
            return .close(stat: "downstream_pre_cx_timeout")
        case .handshaking:
            state = .closed
            return .close(stat: "ssl.handshake_timeout")
        case .serving, .closed:
            return .none
        }
    }

    mutating func closed() { state = .closed }
}
