import Autocomplete from '@mui/material/Autocomplete';
import Chip from '@mui/material/Chip';
import TextField from '@mui/material/TextField';
import { useKnowledgeBases } from '../api/hooks';

interface Props {
  label: string;
  /** Ids of knowledge bases. */
  value: string[];
  onChange: (ids: string[]) => void;
  helperText?: string;
  disabled?: boolean;
}

/** The group's knowledge bases an agent (or every agent of a crew) searches. An id the group
 * no longer has stays visible, marked, so the problem it causes can be seen and removed. */
export default function KnowledgePicker({ label, value, onChange, helperText, disabled }: Props) {
  const bases = useKnowledgeBases();
  const names = new Map((bases.data ?? []).map((b) => [b.id, b.name]));
  const options = [...new Set([...(bases.data ?? []).map((b) => b.id), ...value])];
  return (
    <Autocomplete
      multiple
      size="small"
      options={options}
      value={value}
      onChange={(_, ids) => onChange(ids)}
      getOptionLabel={(id) => names.get(id) ?? `${id} (unknown)`}
      loading={bases.isPending}
      disabled={disabled}
      filterSelectedOptions
      renderValue={(ids, getItemProps) =>
        ids.map((id, index) => {
          const { key, ...props } = getItemProps({ index });
          return <Chip key={key} size="small" label={names.get(id) ?? `${id} (unknown)`} color={names.has(id) ? 'default' : 'error'} {...props} />;
        })
      }
      renderInput={(params) => <TextField {...params} label={label} helperText={helperText} />}
      noOptionsText="No knowledge bases: add one on the Knowledge page"
    />
  );
}
