"""The group's library of reusable agents. A crew copies an agent in; it never links to one."""
