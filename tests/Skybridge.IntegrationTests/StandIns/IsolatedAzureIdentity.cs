using System.Reflection;
using System.Runtime.Loader;

namespace Skybridge.IntegrationTests.StandIns;

/// <summary>
/// Runs DefaultAzureCredential from fresh copies of Azure.Identity / MSAL / Azure.Core loaded into a
/// collectible AssemblyLoadContext. MSAL caches the managed identity source it selected (App Service,
/// IMDS...) process-wide, so a test process that already used the App Service protocol cannot test
/// the IMDS protocol with the default load context.
/// </summary>
internal static class IsolatedAzureIdentity
{
    public static async Task<string> DefaultAzureCredentialTokenAsync(string scope, string managedIdentityClientId)
    {
        var alc = new IsolatedContext();
        try
        {
            var identity = alc.LoadFromAssemblyName(new AssemblyName("Azure.Identity"));
            var core = alc.LoadFromAssemblyName(new AssemblyName("Azure.Core"));
            var optionsType = identity.GetType("Azure.Identity.DefaultAzureCredentialOptions", throwOnError: true)!;
            var options = Activator.CreateInstance(optionsType)!;
            optionsType.GetProperty("ManagedIdentityClientId")!.SetValue(options, managedIdentityClientId);
            var credentialType = identity.GetType("Azure.Identity.DefaultAzureCredential", throwOnError: true)!;
            var credential = credentialType.GetConstructor([optionsType])!.Invoke([options]);

            var contextType = core.GetType("Azure.Core.TokenRequestContext", throwOnError: true)!;
            var ctor = contextType.GetConstructors()
                .Where(c => c.GetParameters() is { Length: > 0 } p && p[0].ParameterType == typeof(string[]))
                .OrderBy(c => c.GetParameters().Length).First();
            var ctorArgs = ctor.GetParameters().Select((p, i) => i == 0 ? new[] { scope }
                : p.HasDefaultValue ? p.DefaultValue
                : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
            var context = ctor.Invoke(ctorArgs);

            var getToken = credentialType.GetMethod("GetToken", [contextType, typeof(CancellationToken)])!;
            try
            {
                var accessToken = await Task.Run(() => getToken.Invoke(credential, [context, CancellationToken.None])!);
                return (string)accessToken.GetType().GetProperty("Token")!.GetValue(accessToken)!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new InvalidOperationException("DefaultAzureCredential failed: " + e.InnerException.Message, e.InnerException);
            }
        }
        finally
        {
            alc.Unload();
        }
    }

    private sealed class IsolatedContext() : AssemblyLoadContext("isolated-azure-identity", isCollectible: true)
    {
        // every non-framework assembly next to the tests is loaded afresh; the framework is shared
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
