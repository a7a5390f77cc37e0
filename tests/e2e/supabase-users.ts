/** Accounts the Supabase Auth stand-in knows (see serve.ts); Rollgate's demo seed knows the first two. */
export const SUPABASE_USERS = [
  { email: "po@rollgate.dev", password: "supabase-po-password" },
  { email: "engineer@rollgate.dev", password: "supabase-engineer-password" },
  { email: "stranger@example.com", password: "supabase-stranger-password" },
];
