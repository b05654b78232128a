import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** An API key, found by the hash of the key (the key itself is never stored). */
@Schema({ collection: 'api_keys', versionKey: false })
export class ApiKeyDoc {
  @Prop({ type: String, required: true, unique: true }) key_hash!: string;
  @Prop({ type: String, required: true }) name!: string;
  @Prop({ type: String, default: null }) description!: string | null;
  @Prop({ type: [String], required: true }) scopes!: string[];
  @Prop({ type: String, required: true }) created_at!: string;
  @Prop({ type: String, default: null }) last_used_at!: string | null;
  @Prop({ type: Boolean, required: true }) is_active!: boolean;
  @Prop({ type: Number, default: null }) rate_limit_per_minute!: number | null;
}

export const ApiKeySchema = SchemaFactory.createForClass(ApiKeyDoc);
