/** How the web app names API-key providers: model providers and the keys tools use. */
const PROVIDER_LABEL: Record<string, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Google Gemini',
  deepseek: 'DeepSeek',
  ollama: 'Ollama',
  databricks: 'Databricks',
  demo: 'Demo (offline)',
  serper: 'Serper',
  tavily: 'Tavily',
  brave: 'Brave Search',
};

/** A provider this build does not know yet is shown by its id. */
export function providerLabel(provider: string): string {
  return PROVIDER_LABEL[provider] ?? provider;
}

/** Where a group's API keys are managed. */
export const API_KEYS_PATH = '/settings/api-keys';
