namespace Skybridge.IntegrationTests.Sandbox;

/// <summary>
/// All integration tests share one sandbox (RGW, Entra stand-in, Azurite) and run one at a time:
/// the stand-in's settings are global. Use <c>[Collection("sandbox")]</c> on a test class.
/// </summary>
[CollectionDefinition("sandbox", DisableParallelization = true)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
}
