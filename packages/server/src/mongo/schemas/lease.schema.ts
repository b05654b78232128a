import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A short claim shared by every replica (the request finishing a tus upload): held by `token` until `until`. */
@Schema({ collection: 'leases', versionKey: false, _id: false })
export class LeaseDoc {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) token!: string;
  /** ISO-8601 UTC, so string order is time order. */
  @Prop({ type: String, required: true }) until!: string;
}

export const LeaseSchema = SchemaFactory.createForClass(LeaseDoc);
