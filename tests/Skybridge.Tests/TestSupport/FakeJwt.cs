using System.Text;
using System.Text.Json;

namespace Skybridge.Tests.TestSupport;

/// <summary>Builds unsigned JWT-shaped strings for claim-decoding tests (no signature: nothing here validates one).</summary>
internal static class FakeJwt
{
    public static string Create(object claims)
        => B64("""{"alg":"RS256","typ":"JWT"}""") + "." + B64(JsonSerializer.Serialize(claims)) + "." + B64("signature-part");

    public static string Create(string iss = "https://sts.windows.net/tid/", string aud = "api://app", string sub = "sub-1",
        string ver = "1.0", DateTimeOffset? exp = null)
        => Create(new Dictionary<string, object>
        {
            ["iss"] = iss, ["aud"] = aud, ["sub"] = sub, ["oid"] = "oid-" + sub, ["appid"] = "app-1", ["tid"] = "tid", ["ver"] = ver,
            ["iat"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), ["nbf"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = (exp ?? DateTimeOffset.UtcNow.AddHours(1)).ToUnixTimeSeconds(),
        });

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
