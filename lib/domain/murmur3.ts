// The implementation lives in targeting/ because files there may import only their own folder (the
// lint rule's "./name" form); everything outside keeps importing it from here.
export { murmur3, murmur3Joined } from "./targeting/murmur3";
