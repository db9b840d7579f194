import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Divider from '@mui/material/Divider';
import Typography from '@mui/material/Typography';
import Markdown from '../common/Markdown';

export type Ended = 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

interface Props {
  result: string | null;
  error: string | null;
  taskOutputs: Record<string, string>;
  /** Task keys in crew order, with display names. */
  tasks: { key: string; name: string }[];
  /** The run has ended (so a missing result is not coming), and how. */
  ended?: Ended | null;
}

const NO_RESULT: Record<string, string> = {
  cancelled: 'No result: the run was cancelled.',
  failed: 'No result: the run failed.',
  interrupted: 'No result: the run was interrupted.',
  succeeded: 'No result.',
};

export default function ResultView({ result, error, taskOutputs, tasks, ended = null }: Props) {
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
          {(ended && NO_RESULT[ended]) || 'No result yet.'}
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
