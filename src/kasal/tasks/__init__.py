"""The group's library of reusable tasks. A crew copies a task in; it never links to one."""
