import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The one row every bench handler inserts (table created by the bench runner). */
@Entity({ name: 'bench_rows' })
export class BenchRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('text')
  name!: string;
}
