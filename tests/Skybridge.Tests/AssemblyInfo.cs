// The suite runs where Skybridge's tooling runs (Debian, the sandbox): file modes and signals are Unix's.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
