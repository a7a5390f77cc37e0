import { redirect } from "next/navigation";
import { currentUser } from "./_server/session";

export const dynamic = "force-dynamic";

export default async function Home() {
  redirect((await currentUser()) ? "/flags" : "/sign-in");
}
