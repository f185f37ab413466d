"""What every domain shares: periods and today's date in a region, the region-scoped lookup,
the CSV/XLSX export response, the message shown after a redirect, and form models."""
