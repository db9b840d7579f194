import Box from '@mui/material/Box';
import ReactMarkdown from 'react-markdown';

/** Markdown from the model, rendered without raw HTML (react-markdown drops it by default). */
export default function Markdown({ children }: { children: string }) {
  return (
    <Box
      className="kasal-markdown"
      sx={{
        fontSize: 14,
        lineHeight: 1.6,
        overflowWrap: 'anywhere',
        '& pre': { bgcolor: 'action.hover', p: 1, borderRadius: 1, overflow: 'auto' },
        '& code': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 13 },
        '& table': { borderCollapse: 'collapse' },
        '& td, & th': { border: 1, borderColor: 'divider', px: 1 },
        '& h1, & h2, & h3': { fontSize: '1.1em', mt: 1.5, mb: 0.5 },
        '& p': { my: 0.75 },
      }}
    >
      <ReactMarkdown>{children}</ReactMarkdown>
    </Box>
  );
}
