/**
 * The page the server sends instead of Next's error shell when the database was unreachable while
 * rendering a dashboard page: readable without JavaScript (monitors, curl, a browser whose scripts
 * failed), and it reloads itself so an open tab comes back when the database does.
 */
export function databaseUnavailablePage(retryAfterSeconds: number): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${retryAfterSeconds * 2}">
<meta name="robots" content="noindex">
<title>Database unavailable · Rollgate</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f8fafc;color:#0f172a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:28rem;margin:1rem;padding:1.5rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 2px rgba(0,0,0,.05);outline:1px solid #e2e8f0}
h1{margin:0;font-size:1.25rem;font-weight:600}p{margin:.75rem 0 0;font-size:.875rem;color:#475569}a{color:#4f46e5}
</style>
</head>
<body>
<main role="alert">
<h1 data-testid="database-unavailable">The database is unavailable</h1>
<p>Rollgate cannot reach its database right now, so the dashboard cannot show or change anything. Services keep evaluating flags from the configuration they already have.</p>
<p>This page reloads by itself and works again as soon as the database is back. <a href="">Reload now</a></p>
</main>
</body>
</html>
`;
}
