using Amazon.Runtime;

namespace Skybridge.Setup.Doctor.Checks;

/// <summary>
/// 4. AssumeRoleWithWebIdentity with the token. A refusal carries the diagnosis of
/// <see cref="Identity.FederationDiagnosis"/> (audience, issuer, trust policy, unknown role, expiry).
/// Depends on the token only, not on the issuer check: STS has the last word.
/// </summary>
internal sealed class StsExchangeCheck() : DoctorCheck(Name, "AWS STS AssumeRoleWithWebIdentity", EntraTokenCheck.Name)
{
    public new const string Name = "sts";

    public override async Task<CheckOutcome> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var options = context.Federation;
        var endpoint = options.StsEndpoint?.ToString() ?? $"the regional endpoint of {options.Region}";
        try
        {
            var session = await context.Federated.ExchangeAsync(cancellationToken).ConfigureAwait(false);
            context.Session = session;
            var left = session.Expiration - context.Clock.GetUtcNow();
            return CheckOutcome.Pass($"{session.AssumedRoleArn ?? options.RoleArn} via {endpoint}; session valid until {session.Expiration:u} ({left.TotalMinutes:0} min).");
        }
        catch (SkybridgeException e) when (context.IssuerProblem is not null)
        {
            // STS (RGW in particular) often says only AccessDenied; the issuer check knows more.
            return CheckOutcome.Fail(e.Message + " The issuer/audience check above found a likely cause.", e.Fix);
        }
        catch (AmazonClientException e)
        {
            return CheckOutcome.Fail($"STS at {endpoint} could not be reached: {DoctorRunner.FirstLine(e.Message)}",
                "Check --sts-endpoint / --region and the network path to STS (proxy, firewall, VPC endpoint).");
        }
        catch (HttpRequestException e)
        {
            return CheckOutcome.Fail($"STS at {endpoint} could not be reached: {DoctorRunner.FirstLine(e.Message)}",
                "Check --sts-endpoint / --region and the network path to STS (proxy, firewall, VPC endpoint).");
        }
    }
}
