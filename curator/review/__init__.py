"""People reviewing labels: users and permissions, the queue, leases, edits, the audit trail
and the dashboard figures. The Streamlit app and the CLI only call these functions."""
