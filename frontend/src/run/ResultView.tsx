import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Divider from '@mui/material/Divider';
import Typography from '@mui/material/Typography';
import Markdown from '../common/Markdown';

interface Props {
  result: string | null;
  error: string | null;
  taskOutputs: Record<string, string>;
  /** Task keys in crew order, with display names. */
  tasks: { key: string; name: string }[];
}

export default function ResultView({ result, error, taskOutputs, tasks }: Props) {
  const ordered = [
    ...tasks.filter((t) => taskOutputs[t.key] !== undefined),
    ...Object.keys(taskOutputs)
      .filter((k) => !tasks.some((t) => t.key === k))
      .map((k) => ({ key: k, name: k })),
  ];
  return (
    <Box data-testid="run-result">
      {error && (
        <Alert severity="error" sx={{ mb: 2, whiteSpace: 'pre-wrap' }}>
          {error}
        </Alert>
      )}
      <Typography variant="subtitle2" component="h3">
        Result
      </Typography>
      {result ? (
        <Markdown>{result}</Markdown>
      ) : (
        <Typography variant="body2" color="text.secondary">
          No result yet.
        </Typography>
      )}
      {ordered.length > 0 && (
        <>
          <Divider sx={{ my: 2 }} />
          <Typography variant="subtitle2" component="h3" gutterBottom>
            Task outputs
          </Typography>
          {ordered.map((t) => (
            <Box key={t.key} sx={{ mb: 2 }} data-testid={`task-output-${t.key}`}>
              <Typography variant="body2" sx={{ fontWeight: 600 }}>
                {t.name} <Typography component="span" variant="caption" color="text.secondary">({t.key})</Typography>
              </Typography>
              <Markdown>{taskOutputs[t.key]}</Markdown>
            </Box>
          ))}
        </>
      )}
    </Box>
  );
}
