/** A customer as the API shows it. */
export interface Customer {
  id: string;
  /** `cus_<n>`, numbered per tenant in creation order. */
  display_id: string;
  name: string;
  email: string | null;
  created_at: string;
  /** Only on a deleted customer (the answer to DELETE). */
  deleted_at?: string;
}

/** A row of the `customers` table, as pg returns it. */
export interface CustomerRow {
  id: string;
  number: string;
  name: string;
  email: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export function toCustomer(row: CustomerRow): Customer {
  const customer: Customer = {
    id: row.id,
    display_id: `cus_${row.number}`,
    name: row.name,
    email: row.email,
    created_at: row.created_at.toISOString(),
  };
  if (row.deleted_at !== null) customer.deleted_at = row.deleted_at.toISOString();
  return customer;
}
