"""The resources: rules, input validation, the operations handlers call, rendering."""
