// The published OpenFeature web provider in a Node process that has EventSource
// (`node --experimental-eventsource`), with polling off: flag changes can only reach it through the
// event stream a bulk answer advertises. Prints one JSON line when ready and one per change.
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";

const [baseUrl, token, flag] = process.argv.slice(2);
await OpenFeature.setContext({ targetingKey: "sse-user" });
await OpenFeature.setProviderAndWait(
  new OFREPWebProvider({
    baseUrl,
    headers: [["Authorization", `Bearer ${token}`]],
    pollInterval: 0,
    cacheMode: "disabled",
    disableVisibilityRefresh: true,
  }),
);
const client = OpenFeature.getClient();
const report = (event) => console.log(JSON.stringify({ event, value: client.getBooleanValue(flag, false) }));
client.addHandler(ProviderEvents.ConfigurationChanged, () => report("changed"));
report("ready");
