import Testing
import WeftModel

@Suite("configuration versions")
struct ConfigVersionTests {
    @Test("versions order numerically, component by component", arguments: [
        ("9.3", "10.1"), ("10.1", "10.2"), ("10.9", "10.10"), ("2.100", "3.1"), ("1", "1.1"),
    ])
    func numericOrder(_ older: String, _ newer: String) {
        #expect(ConfigVersion(older) < ConfigVersion(newer))
        #expect(!(ConfigVersion(newer) < ConfigVersion(older)))
    }

    @Test("the newest of a proxy's per-type versions is the numeric maximum, not the text maximum")
    func newestOfTypes() {
        let versions = ["9.3", "10.1", "9.12"].map(ConfigVersion.init)
        #expect(versions.max()?.text == "10.1")
        #expect(["9.3", "10.1", "9.12"].max() == "9.3", "what string comparison picked")
    }

    @Test("a version not in REVISION.PUSH form orders before numeric ones")
    func foreign() {
        #expect(ConfigVersion("") < ConfigVersion("1.1"))
        #expect(ConfigVersion("abc") < ConfigVersion("0.0"))
        #expect(ConfigVersion(revision: 12, push: 3).text == "12.3")
    }
}
