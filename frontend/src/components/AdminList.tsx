// The admin pages' shared parts (variables, pools, connections, users): a page with a search and
// an add button, a table whose rows have Edit and Delete, and the add/edit dialog's form with its
// error and Cancel/Save. Each page gives its columns, its row cells and its form's fields; the
// data-testids follow one pattern from the page's noun (`variable-row`, `pool-edit`, ...).

import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { errorText, type Role } from '../api'
import { ActionButton, ErrorBox, Modal, useCan, type Loaded } from '../ui'

export interface AdminListProps<T> {
  title: string
  /** names the testids: `${noun}-add`, `-row`, `-edit`, `-delete`, `-search`; the table is `${plural}-table` */
  noun: string
  plural: string
  list: Loaded<T[]>
  addLabel: string
  /** the role that may add, edit and delete (the server enforces; this hides) */
  editRole?: Role
  search?: { placeholder: string; match: (item: T, lowerCaseFilter: string) => boolean }
  columns: string[]
  /** the row's identifying data attribute, e.g. ['data-key', v.key] */
  rowId: (item: T) => [string, string]
  cells: (item: T) => ComponentChildren
  /** actions before Edit (a connection's Test) */
  actions?: (item: T) => ComponentChildren
  /** false: rows have no Edit (users) */
  editable?: boolean
  remove: { confirm: (item: T) => string; run: (item: T) => Promise<unknown>; when?: (item: T) => boolean }
  /** the row shown when there is nothing to list */
  empty?: ComponentChildren
  /** the add (item null) or edit dialog; `saved` closes it and reloads the list */
  form: (item: T | null, close: () => void, saved: () => void) => ComponentChildren
}

export function AdminList<T>(props: AdminListProps<T>) {
  const { noun, list } = props
  const canEdit = useCan(props.editRole ?? 'Op')
  const [edit, setEdit] = useState<T | 'new' | null>(null)
  const [filter, setFilter] = useState('')
  const f = filter.toLowerCase()
  const rows = (list.data ?? []).filter((x) => !f || !props.search || props.search.match(x, f))
  return (
    <div class="page">
      <header class="page-head">
        <h1>{props.title}</h1>
        <div class="filters">
          {props.search && (
            <input type="search" placeholder={props.search.placeholder} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} data-testid={`${noun}-search`} />
          )}
          {canEdit && (
            <button class="primary" onClick={() => setEdit('new')} data-testid={`${noun}-add`}>
              {props.addLabel}
            </button>
          )}
        </div>
      </header>
      <ErrorBox error={list.error} />
      <table class="list" data-testid={`${props.plural}-table`}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th>{c}</th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((x) => {
            const [attr, id] = props.rowId(x)
            return (
              <tr key={id} data-testid={`${noun}-row`} {...{ [attr]: id }}>
                {props.cells(x)}
                <td class="nowrap">
                  {canEdit && (
                    <>
                      {props.actions?.(x)}
                      {props.editable !== false && (
                        <>
                          <button onClick={() => setEdit(x)} data-testid={`${noun}-edit`}>
                            Edit
                          </button>{' '}
                        </>
                      )}
                      {(props.remove.when?.(x) ?? true) && (
                        <ActionButton
                          label="Delete"
                          class="danger"
                          testid={`${noun}-delete`}
                          confirm={props.remove.confirm(x)}
                          run={async () => {
                            await props.remove.run(x)
                            await list.reload()
                          }}
                        />
                      )}
                    </>
                  )}
                </td>
              </tr>
            )
          })}
          {list.data && rows.length === 0 && props.empty && (
            <tr>
              <td colSpan={props.columns.length + 1} class="empty">
                {props.empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {edit &&
        props.form(
          edit === 'new' ? null : edit,
          () => setEdit(null),
          () => {
            setEdit(null)
            list.reload()
          },
        )}
    </div>
  )
}

/**
 * An add/edit dialog: the fields given, the error of the last action, Cancel, the extra buttons
 * and Save. `submit` (and what an extra button runs through `run`) throws to show its error.
 */
export function FormDialog(props: {
  title: string
  noun: string
  onClose: () => void
  submit: () => Promise<unknown>
  saveLabel?: string
  extra?: (run: (f: () => Promise<unknown>) => void) => ComponentChildren
  children: ComponentChildren
}) {
  const [error, setError] = useState('')
  const run = async (f: () => Promise<unknown>) => {
    setError('')
    try {
      await f()
    } catch (e) {
      setError(errorText(e))
    }
  }
  const { noun } = props
  return (
    <Modal title={props.title} onClose={props.onClose} testid={`${noun}-dialog`}>
      <form
        class="stack"
        data-testid={`${noun}-form`}
        onSubmit={(e) => {
          e.preventDefault()
          run(props.submit)
        }}
      >
        {props.children}
        {error && (
          <div class="error" role="alert" data-testid={`${noun}-error`}>
            {error}
          </div>
        )}
        <footer>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          {props.extra?.(run)}
          <button type="submit" class="primary" data-testid={`${noun}-save`}>
            {props.saveLabel ?? 'Save'}
          </button>
        </footer>
      </form>
    </Modal>
  )
}
