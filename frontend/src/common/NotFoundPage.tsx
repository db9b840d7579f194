import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Typography from '@mui/material/Typography';
import { Link } from 'react-router';

export default function NotFoundPage() {
  return (
    <Box sx={{ p: 6, textAlign: 'center' }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Page not found
      </Typography>
      <Button component={Link} to="/crews" variant="contained">
        Go to crews
      </Button>
    </Box>
  );
}
