// Child process used by tests: `node --import tsx loaded-modules.mjs <module> <export> [json-arg]`
// imports <module>, awaits <export>(arg), and prints every module URL that was resolved meanwhile.
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { MessageChannel } from "node:worker_threads";

const { port1, port2 } = new MessageChannel();
const urls = new Set();
port1.on("message", (url) => urls.add(url));
register("./record-imports-hook.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });

const [modulePath, exportName, arg] = process.argv.slice(2);
const mod = await import(pathToFileURL(modulePath).href);
const result = await mod[exportName](arg ? JSON.parse(arg) : undefined);
// Messages from the hooks thread arrive asynchronously; let them drain.
await new Promise((r) => setTimeout(r, 100));
process.stdout.write(JSON.stringify({ result: result === null ? null : typeof result, urls: [...urls] }));
port1.close();
