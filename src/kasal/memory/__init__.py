"""What crews remember across runs: where it is kept, and the API to read and forget it."""
