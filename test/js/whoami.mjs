// Prints the ARN that sts:GetCallerIdentity returns, with credentials from
// the JavaScript SDK v3's default provider chain, which reads the same
// environment as any Node program: AWS_CONTAINER_CREDENTIALS_FULL_URI with
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (ECS), AWS_EC2_METADATA_SERVICE_ENDPOINT
// (IMDS), or AWS_PROFILE with a credential_process in AWS_CONFIG_FILE.
// AWS_ENDPOINT_URL points the STS call itself at a local emulator.
//
//   node whoami.mjs [chain|container|instance|process]
//
// "chain" (the default) uses the default chain; the others name one provider,
// which gives a clearer error when it is the one that fails. ("container" is
// fromHttp, which reads the token file; the older fromContainerMetadata
// reads only AWS_CONTAINER_AUTHORIZATION_TOKEN, which hopd never sets.)
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import {
  fromHttp,
  fromInstanceMetadata,
  fromNodeProviderChain,
  fromProcess,
} from "@aws-sdk/credential-providers";

const providers = {
  chain: () => fromNodeProviderChain(),
  container: () => fromHttp({}),
  instance: () => fromInstanceMetadata(),
  process: () => fromProcess(),
};

const which = process.argv[2] ?? "chain";
if (!(which in providers)) {
  console.error(`usage: node whoami.mjs [${Object.keys(providers).join("|")}]`);
  process.exit(2);
}

try {
  const client = new STSClient({ credentials: providers[which]() });
  const out = await client.send(new GetCallerIdentityCommand({}));
  console.log(out.Arn);
} catch (err) {
  console.error(`GetCallerIdentity with the ${which} provider failed: ${err.name}: ${err.message}`);
  process.exit(1);
}
