import { transitionRoute } from "@/lib/rollouts/transition-route";

export const POST = transitionRoute("pause");
