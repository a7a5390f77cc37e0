declare module "murmurhash3js-revisited" {
  export const x86: { hash32(bytes: Uint8Array, seed?: number): number };
}
