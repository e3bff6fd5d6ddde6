/// YAML that several end-to-end tests apply.
enum MeshFixtures {
    /// The `reviews` Service on 9080, selecting `app: reviews`.
    static let reviewsService = """
    apiVersion: v1
    kind: Service
    metadata: {name: reviews}
    spec:
      selector: {app: reviews}
      ports: [{name: http, port: 9080}]
    """
}
