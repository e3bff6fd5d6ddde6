import Foundation
import WeftAPI

/// IST0145: two Gateways with the same selector and port claim overlapping hosts.
struct ConflictingGatewayAnalyzer: Analyzer {
    let name = "gateway.ConflictingGatewayAnalyzer"
    let summary = "Checks a gateway's selector, port number and hosts"

    private struct Listener {
        var gateway: String
        var selector: String
        var pods: Set<String>
        var port: Int
        var hosts: [String]
    }

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let gateways = context.all(Gateway.self)
        var listeners: [Listener] = []
        for (resource, gateway) in gateways {
            let selector = LabelMatcher(gateway.spec.selector)
            // Gateways conflict when they share workloads: the same selector, or pods both select.
            let pods = Set(context.pods.filter { selector.matches($0.0.labels) }.map(\.0.fullName))
            for server in gateway.spec.servers ?? [] {
                listeners.append(Listener(gateway: resource.fullName, selector: selector.description, pods: pods, port: server.port?.number ?? 0, hosts: server.hosts ?? []))
            }
        }
        var messages: [AnalysisMessage] = []
        for (resource, gateway) in gateways {
            let selector = LabelMatcher(gateway.spec.selector)
            let mine = listeners.first { $0.gateway == resource.fullName }
            for server in gateway.spec.servers ?? [] {
                let port = server.port?.number ?? 0
                var conflicts: [String] = []
                for other in listeners where other.gateway != resource.fullName && other.port == port {
                    let sameWorkloads = other.selector == selector.description || !(mine?.pods ?? []).isDisjoint(with: other.pods)
                    guard sameWorkloads else { continue }
                    for host in server.hosts ?? [] where other.hosts.contains(where: { HostName(host).matches(HostName($0)) }) {
                        conflicts.append(other.gateway)
                    }
                }
                if !conflicts.isEmpty {
                    messages.append(AnalysisMessage(Messages.conflictingGateways, resource,
                        "Conflict with gateways \(conflicts.joined(separator: ",")) (workload selector \(selector.description), port \(port), hosts \((server.hosts ?? []).joined(separator: ",")))."))
                }
            }
        }
        return messages
    }
}

/// IST0101/IST0162: a Gateway selects workloads, and each of its ports is offered by a Service of those workloads.
struct IngressGatewayPortAnalyzer: Analyzer {
    let name = "gateway.IngressGatewayPortAnalyzer"
    let summary = "Checks a gateway's ports against the gateway's Kubernetes service ports"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for (resource, gateway) in context.all(Gateway.self) {
            let selector = LabelMatcher(gateway.spec.selector)
            var ports: Set<Int> = []
            var selected = 0
            for (pod, _) in context.pods where selector.matches(pod.labels) {
                selected += 1
                for (serviceResource, service) in context.all(Service.self) where serviceResource.namespace == pod.namespace {
                    guard let spec = service.spec, LabelMatcher(spec.selector).matches(pod.labels) else { continue }
                    for port in spec.ports ?? [] where port.protocol == nil || port.protocol == "TCP" {
                        if let number = port.port { ports.insert(number) }
                        if let target = port.targetPort?.intValue { ports.insert(target) }
                    }
                }
            }
            if selected == 0 {
                messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced selector not found: \"\(selector.description)\""))
                continue
            }
            for server in gateway.spec.servers ?? [] {
                guard let number = server.port?.number, !ports.contains(number) else { continue }
                messages.append(AnalysisMessage(Messages.gatewayPortNotDefinedOnService, resource,
                    "The gateway is listening on a target port (port \(number)) that is not defined in the Service associated with its workload instances (Pod selector \(selector.description)). If you need to access the gateway port through the gateway Service, it will not be available."))
            }
        }
        return messages
    }
}

/// IST0101/IST0161: a Gateway's credentialName names a Secret in the gateway workload's
/// namespace, holding a certificate and key that parse and have not expired.
struct GatewaySecretAnalyzer: Analyzer {
    let name = "gateway.SecretAnalyzer"
    let summary = "Checks a gateway's referenced secrets for correctness"
    var now: @Sendable () -> Double = { Double(Int64(Date.timeIntervalSinceReferenceDate + 978_307_200)) }

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for (resource, gateway) in context.all(Gateway.self) {
            let selector = LabelMatcher(gateway.spec.selector)
            guard let workloadNamespace = context.pods.first(where: { selector.matches($0.0.labels) })?.0.namespace else {
                messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced selector not found: \"\(selector.description)\""))
                continue
            }
            for server in gateway.spec.servers ?? [] {
                guard let tls = server.tls else { continue }
                let names = ([tls.credentialName] + (tls.credentialNames ?? []).map(Optional.some)).compactMap { $0 }.filter { !$0.isEmpty }
                for credential in names {
                    let target = MeshHosts.shortOrFullName(credential, namespace: workloadNamespace)
                    guard let (_, secret) = context.find(Secret.self, namespace: target.namespace, name: target.name) else {
                        messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced credentialName not found: \"\(credential)\""))
                        continue
                    }
                    if !GatewayCredential.isUsable(secret, now: now()) {
                        messages.append(AnalysisMessage(Messages.invalidGatewayCredential, resource,
                            "The credential referenced by the Gateway \(resource.name) in namespace \(resource.namespace) is invalid, which can cause the traffic not to work as expected."))
                    }
                }
            }
        }
        return messages
    }
}

/// IST0138: Gateways on the same workloads serving the same certificate.
struct GatewayCertificateAnalyzer: Analyzer {
    let name = "gateway.CertificateAnalyzer"
    let summary = "Checks a gateway certificate"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let gateways = context.all(Gateway.self)
        var messages: [AnalysisMessage] = []
        for (resource, gateway) in gateways {
            let mine = gateway.spec.selector ?? [:]
            for (otherResource, other) in gateways where otherResource.fullName != resource.fullName {
                // Only gateways whose selectors include all of this one's labels share its workloads.
                guard mine.allSatisfy({ other.spec.selector?[$0.key] == $0.value }) else { continue }
                for server in gateway.spec.servers ?? [] {
                    for otherServer in other.spec.servers ?? [] {
                        guard let a = server.tls, let b = otherServer.tls, Self.sameCertificate(a, b) else { continue }
                        messages.append(AnalysisMessage(Messages.gatewayDuplicateCertificate, resource,
                            "Duplicate certificate in multiple gateways \(goList([resource.fullName, otherResource.fullName])) may cause 404s if clients re-use HTTP2 connections."))
                    }
                }
            }
        }
        return messages
    }

    static func sameCertificate(_ a: ServerTLSSettings, _ b: ServerTLSSettings) -> Bool {
        let credentialA = a.credentialName ?? "", credentialB = b.credentialName ?? ""
        if !credentialA.isEmpty && !credentialB.isEmpty { return credentialA == credentialB }
        guard credentialA.isEmpty && credentialB.isEmpty else { return false }
        let certA = a.serverCertificate ?? "", certB = b.serverCertificate ?? ""
        guard !certA.isEmpty, certA == certB else { return false }
        let keyA = a.privateKey ?? "", keyB = b.privateKey ?? ""
        return !keyA.isEmpty && keyA == keyB
    }
}
