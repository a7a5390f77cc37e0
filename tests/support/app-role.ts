import { appRoleUrl } from "../../lib/db/app-role";

/** The test cluster's rollgate_app password (set by the global setup; the role is cluster-wide). */
export const TEST_APP_ROLE_PASSWORD = "rollgate-app-test-password";

/** A database URL (as the owner) turned into the same database as the least-privileged app role. */
export const asAppRole = (ownerUrl: string) => appRoleUrl(ownerUrl, TEST_APP_ROLE_PASSWORD);
