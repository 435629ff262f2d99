// A DAG's or a task's doc_md, rendered (the renderer writes only safe HTML), folded away under
// its title as Airflow's "DAG Docs" and "Task Instance Docs".

import { useMemo } from 'preact/hooks'
import { markdown } from '../markdown'

export function DocMd({ source, title, testid }: { source: string | null | undefined; title: string; testid: string }) {
  const html = useMemo(() => (source ? markdown(source) : ''), [source])
  if (!source) return null
  return (
    <details class="doc-md" open data-testid={testid}>
      <summary>{title}</summary>
      <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />
    </details>
  )
}
