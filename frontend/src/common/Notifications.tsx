import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { useNotify } from './notify';

export default function Notifications() {
  const notices = useNotify((s) => s.notices);
  const dismiss = useNotify((s) => s.dismiss);
  const current = notices[0];
  return (
    <Snackbar
      key={current?.id}
      open={Boolean(current)}
      autoHideDuration={current?.severity === 'error' ? 8000 : 4000}
      onClose={(_, reason) => {
        if (reason !== 'clickaway' && current) dismiss(current.id);
      }}
      anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}
    >
      {current ? (
        <Alert severity={current.severity} variant="filled" onClose={() => dismiss(current.id)} role="status">
          {current.message}
        </Alert>
      ) : undefined}
    </Snackbar>
  );
}
